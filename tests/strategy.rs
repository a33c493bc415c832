//! The Linux strategies: `fork`, `vfork` (a child that shares the parent's
//! memory until it execs, on a stack of its own) and `auto`. Each starts
//! programs, and each reports every failing step as (step, errno).
//!
//! Linux only: the other systems have no vfork strategy.
#![cfg(target_os = "linux")]

use std::ffi::CString;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use forkexec::{CStrArray, Command, Errno, ExitStatus, Slot, Step, Strategy};

/// The strategies to test: the one `FORKEXEC_TEST_STRATEGY` names (the CI
/// runs the suite once per strategy), or all three.
fn strategies() -> Vec<Strategy> {
    match std::env::var("FORKEXEC_TEST_STRATEGY").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("") => {
            vec![Strategy::Fork, Strategy::Vfork, Strategy::Auto]
        }
        Ok("fork") => vec![Strategy::Fork],
        Ok("vfork") => vec![Strategy::Vfork],
        Ok("auto") => vec![Strategy::Auto],
        other => panic!("FORKEXEC_TEST_STRATEGY must be fork, vfork or auto, not {other:?}"),
    }
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn is_root() -> bool {
    // SAFETY: geteuid takes no argument and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Whether a `CLONE_VM` child really shares this process's memory: qemu-user
/// (and valgrind) turn `CLONE_VM | CLONE_VFORK` into a plain fork.
fn clone_vm_shares_memory() -> bool {
    static mut MARK: u8 = 0;
    extern "C" fn child(_: *mut libc::c_void) -> libc::c_int {
        // SAFETY: the parent is suspended (CLONE_VFORK) and reads MARK only
        // after this child is gone.
        unsafe { (&raw mut MARK).write_volatile(1) };
        0
    }
    let mut stack = vec![0u8; 64 * 1024];
    // SAFETY: the stack pointer is the top of a live, writable buffer (glibc
    // aligns it); the child touches nothing else but MARK.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(stack.len()).cast();
        let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
        libc::clone(child, top, flags, std::ptr::null_mut())
    };
    assert!(pid > 0, "clone failed");
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a live c_int.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    // SAFETY: the child is gone.
    unsafe { (&raw const MARK).read_volatile() == 1 }
}

fn argv<'a>(strings: &[&'a std::ffi::CStr]) -> CStrArray<'a, 8> {
    CStrArray::from_slice(strings).unwrap()
}

#[test]
fn every_strategy_starts_a_program() {
    let argv = argv(&[c"sh", c"-c", c"exit 3"]);
    for strategy in strategies() {
        let child = Command::new(c"sh")
            .args(&argv)
            .strategy(strategy)
            .spawn()
            .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
        assert_eq!(child.wait().unwrap(), ExitStatus::Exited(3), "{strategy:?}");
    }
}

/// A scratch directory, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("forkexec-{name}-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn file(&self, name: &str, contents: &[u8], mode: u32) -> CString {
        let path = self.0.join(name);
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        CString::new(path.into_os_string().into_encoded_bytes()).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn expect(strategy: Strategy, what: &str, cmd: &mut Command<'_>, step: Step, errno: Errno) {
    match cmd.strategy(strategy).spawn() {
        Ok(child) => {
            let status = child.wait();
            panic!("{strategy:?}, {what}: spawned ({status:?}) instead of failing at {step:?}");
        }
        Err(err) => assert_eq!(
            (err.step(), err.errno()),
            (step, errno),
            "{strategy:?}, {what}: {err}"
        ),
    }
}

/// Every step of the child that can be made to fail without privileges
/// reports its step and errno, whichever way the child was made; on the
/// vfork path the report comes back through memory.
#[test]
fn every_strategy_reports_the_failing_step() {
    let scratch = Scratch::new("steps");
    let not_executable = scratch.file("plain", b"#!/bin/sh\n", 0o644);
    let not_a_program = scratch.file("junk", &[0, 1, 2, 3, 4, 5, 6, 7], 0o755);
    let devnull = fs::File::open("/dev/null").unwrap();
    let null = devnull.as_raw_fd();
    let not_a_tty = [Slot::Fd(null), Slot::Fd(1), Slot::Fd(2)];
    let bad_fd = [Slot::Fd(0), Slot::Fd(1), Slot::Fd(2), Slot::Fd(1 << 20)];
    let chroot_errno = if is_root() {
        Errno::ENOENT
    } else {
        Errno::EPERM
    };

    for s in strategies() {
        let t = c"/bin/true";
        expect(
            s,
            "chdir",
            Command::new(t).dir(c"/nonexistent/forkexec"),
            Step::Chdir,
            Errno::ENOENT,
        );
        expect(
            s,
            "missing",
            &mut Command::new(c"/nonexistent/forkexec"),
            Step::Exec,
            Errno::ENOENT,
        );
        expect(
            s,
            "not executable",
            &mut Command::new(&not_executable),
            Step::Exec,
            Errno::EACCES,
        );
        expect(
            s,
            "junk",
            &mut Command::new(&not_a_program),
            Step::Exec,
            Errno::ENOEXEC,
        );
        expect(
            s,
            "chroot",
            Command::new(t).chroot(c"/nonexistent/forkexec"),
            Step::Chroot,
            chroot_errno,
        );
        expect(
            s,
            "setpgid",
            Command::new(t).pgid(i32::MAX - 1),
            Step::Setpgid,
            Errno::EPERM,
        );
        expect(
            s,
            "fd",
            Command::new(t).fds(&bad_fd),
            Step::Fd,
            Errno::EBADF,
        );
        expect(
            s,
            "noctty",
            Command::new(t).fds(&not_a_tty).noctty(),
            Step::Noctty,
            Errno::ENOTTY,
        );
        let mut setctty = Command::new(t);
        setctty.fds(&not_a_tty).setsid().ctty(0).setctty();
        expect(s, "setctty", &mut setctty, Step::Setctty, Errno::ENOTTY);
        let mut foreground = Command::new(t);
        foreground.ctty(null).foreground();
        expect(
            s,
            "foreground",
            &mut foreground,
            Step::Foreground,
            Errno::ENOTTY,
        );
    }
}

/// A check run by [`unprivileged`]: it writes `[step, errno]`.
type Case = fn(&mut [i32; 2]);

/// Runs `f` as the unprivileged user 65534 (in a forked copy of this process
/// when running as root) and returns what it wrote.
fn unprivileged(f: Case) -> [i32; 2] {
    let mut out = [0; 2];
    if !is_root() {
        f(&mut out);
        return out;
    }
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for two descriptors.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both are new descriptors of ours.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child calls only raw system calls and `f`, which spawns
    // with forkexec (no heap, no lock), and leaves by _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: raw credential calls affect this single-threaded child only.
        unsafe {
            let dropped = libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>())
                == 0
                && libc::syscall(libc::SYS_setresgid, 65534, 65534, 65534) == 0
                && libc::syscall(libc::SYS_setresuid, 65534, 65534, 65534) == 0;
            if dropped {
                f(&mut out);
                libc::write(write_end.as_raw_fd(), out.as_ptr().cast(), 8);
            }
            libc::_exit(0);
        }
    }
    assert!(pid > 0, "fork failed");
    drop(write_end);
    let mut status = 0;
    // SAFETY: `pid` is our child; `status` is a live c_int.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    // SAFETY: `out` has room for 8 bytes.
    let got = unsafe { libc::read(read_end.as_raw_fd(), out.as_mut_ptr().cast(), 8) };
    assert_eq!(
        got, 8,
        "the unprivileged child could not drop its privileges"
    );
    out
}

fn as_pair(result: Result<forkexec::Child, forkexec::Error>, out: &mut [i32; 2]) {
    *out = match result {
        Ok(child) => {
            let _ = child.wait();
            [0, 0]
        }
        Err(err) => [err.step() as i32, err.errno().raw()],
    };
}

/// The credential steps fail with EPERM for an unprivileged parent, and the
/// failure is reported by every strategy.
#[test]
fn every_strategy_reports_refused_credentials() {
    static STRATEGY: AtomicUsize = AtomicUsize::new(0);
    const ALL: [Strategy; 3] = [Strategy::Fork, Strategy::Vfork, Strategy::Auto];
    // The forked copy reads the strategy from its copy of the static, set
    // before the fork: the cases are plain fns, which capture nothing.
    fn with(f: impl FnOnce(&mut Command<'_>)) -> Result<forkexec::Child, forkexec::Error> {
        let mut cmd = Command::new(c"/bin/true");
        cmd.strategy(ALL[STRATEGY.load(Ordering::Relaxed)]);
        f(&mut cmd);
        cmd.spawn()
    }
    for strategy in strategies() {
        let index = ALL.iter().position(|&s| s == strategy).unwrap();
        STRATEGY.store(index, Ordering::Relaxed);
        let cases: [(Step, Case); 3] = [
            (Step::Setgroups, |out| {
                as_pair(with(|c| _ = c.groups(&[0])), out);
            }),
            (Step::Setgid, |out| {
                as_pair(with(|c| _ = c.no_setgroups().gid(0)), out);
            }),
            (Step::Setuid, |out| {
                as_pair(with(|c| _ = c.no_setgroups().uid(0)), out);
            }),
        ];
        for (step, case) in cases {
            let [got_step, errno] = unprivileged(case);
            assert_eq!(
                (got_step, errno),
                (step as i32, libc::EPERM),
                "{strategy:?}: {step:?} as an unprivileged user"
            );
        }
    }
}

/// Touches `mib` MiB of fresh memory, so that a fork has page tables to copy.
fn big_memory(mib: usize) -> Vec<u8> {
    let mut memory = vec![0u8; mib << 20];
    for page in memory.chunks_mut(4096) {
        page[0] = 1;
    }
    memory
}

/// A parent with a large resident set still spawns with every strategy
/// (the vfork child runs in all of that memory, on its own small stack).
#[test]
fn a_big_parent_still_spawns() {
    let memory = big_memory(256);
    let argv = argv(&[c"true"]);
    for strategy in strategies() {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            let child = Command::new(c"/bin/true")
                .args(&argv)
                .strategy(strategy)
                .spawn()
                .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
            best = best.min(start.elapsed());
            assert!(child.wait().unwrap().success(), "{strategy:?}");
        }
        eprintln!("{strategy:?}: spawn from a parent with 256 MiB touched: {best:?} at best");
    }
    assert_eq!(
        memory.iter().step_by(4096).filter(|&&b| b == 1).count(),
        256 << 8
    );
}

/// Auto takes a fork when the user or group id changes: in a child that
/// shares the parent's memory, the kernel would mark that memory, and so the
/// parent, undumpable (no core dumps, /proc files owned by root, no ptrace
/// by the parent's own user).
#[test]
fn auto_keeps_the_parent_dumpable_when_ids_change() {
    if !is_root() {
        eprintln!("skipped: changing the child's ids needs root");
        assert!(!ci(), "CI runs as root, so this test must run");
        return;
    }
    let dumpable = || {
        // SAFETY: PR_GET_DUMPABLE takes no pointer.
        unsafe { libc::prctl(libc::PR_GET_DUMPABLE) }
    };
    assert_eq!(dumpable(), 1, "a test process starts dumpable");
    let run = |strategy| {
        let child = Command::new(c"/bin/true")
            .uid(65534)
            .gid(65534)
            .strategy(strategy)
            .spawn()
            .unwrap();
        assert!(child.wait().unwrap().success());
    };

    run(Strategy::Auto);
    assert_eq!(dumpable(), 1, "Auto made the parent undumpable");

    // What Auto avoids: an explicit Vfork with new ids does mark the parent,
    // where the child really shares its memory.
    if strategies().contains(&Strategy::Vfork) {
        run(Strategy::Vfork);
        let shared = clone_vm_shares_memory();
        assert_eq!(
            dumpable(),
            if shared { 0 } else { 1 },
            "after Vfork (shared memory: {shared})"
        );
        // SAFETY: PR_SET_DUMPABLE takes an integer.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1) }, 0);
    }
}

/// Whether `ptrace` exists here: qemu-user answers every request with
/// ENOSYS, where a kernel answers a request about a process it may not trace
/// with ESRCH.
fn ptrace_exists() -> bool {
    // SAFETY: PTRACE_DETACH of a process we do not trace changes nothing.
    let r = unsafe { libc::ptrace(libc::PTRACE_DETACH, libc::getpid(), 0, 0) };
    !(r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS))
}

/// With `ptrace`, the child stops at its exec (`SIGTRAP`) whichever way it
/// was made: a vfork child's exec releases the parent before the stop.
/// Where there is no ptrace (qemu-user), the spawn fails at that step.
#[test]
fn a_traced_child_stops_at_its_exec() {
    let exists = ptrace_exists();
    if !exists {
        eprintln!("no ptrace here (qemu-user): the spawn must fail at the ptrace step");
    }
    for strategy in strategies() {
        let spawned = Command::new(c"/bin/true")
            .ptrace()
            .strategy(strategy)
            .spawn();
        if !exists {
            let err = spawned.unwrap_err();
            assert_eq!(
                (err.step(), err.errno()),
                (Step::Ptrace, Errno::ENOSYS),
                "{strategy:?}"
            );
            continue;
        }
        let child = spawned.unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
        let status = child.wait_stopped().unwrap();
        assert_eq!(status, ExitStatus::Stopped(libc::SIGTRAP), "{strategy:?}");
        // SAFETY: PTRACE_DETACH on our stopped tracee, with no signal.
        let detached = unsafe { libc::ptrace(libc::PTRACE_DETACH, child.pid(), 0, 0) };
        assert_eq!(detached, 0, "{strategy:?}");
        assert!(child.wait().unwrap().success(), "{strategy:?}");
    }
}
